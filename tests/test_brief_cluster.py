"""Near-duplicates, story clustering and the clustering metrics, on small hand-made inputs."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from qa.brief.cluster import DEFAULT, ClusterItem, cluster_stories, date_gate
from qa.brief.dedup import near_duplicate_groups, shingles
from qa.eval.metrics import adjusted_rand_index, bcubed_f1, purity

QUAKE_A = ("A magnitude 6.1 earthquake struck Aceh province in Indonesia on Tuesday, killing at "
           "least five people and injuring dozens. Buildings collapsed in Bener Meriah and "
           "landslides blocked roads, the disaster agency said. Rescue teams from Banda Aceh "
           "searched the rubble through the night.")
QUAKE_B = ("Rescuers in Indonesia's Aceh province dug through collapsed buildings after the "
           "magnitude 6.1 earthquake on Tuesday. In Bener Meriah at least five people died and "
           "dozens were hurt; landslides cut roads to villages, officials in Banda Aceh said.")
QUAKE_C = ("The death toll from Tuesday's Aceh earthquake rose as rescuers reached villages in "
           "Bener Meriah, Indonesia's disaster agency said. The magnitude 6.1 quake also "
           "injured dozens and set off landslides.")
MERGER_A = ("Hewlett-Packard agreed to buy EYP Mission Critical Facilities, a data center "
            "consulting firm based in New York, the companies said on Monday. HP did not "
            "disclose the price of the EYP deal.")
MERGER_B = ("HP said on Monday it would acquire EYP Mission Critical Facilities to expand its "
            "data center consulting. Terms of the EYP acquisition by Hewlett-Packard were not "
            "disclosed.")
MERGER_C = ("EYP Mission Critical Facilities, the New York data center consultancy, is to be "
            "bought by Hewlett-Packard; HP gave no price for EYP.")
CHESS = ("Magnus Carlsen won the Norway Chess tournament in Stavanger after beating Fabiano "
         "Caruana in the final round.")

WIRE = ("Central bank governor Ana Lopes said on Thursday that the bank would keep its main "
        "interest rate at 4.5 percent for the rest of the year, citing slowing inflation and "
        "weak exports. Speaking in Lisbon, Lopes said wage growth had eased in the second "
        "quarter and that energy prices were expected to fall. Analysts had expected a cut of "
        "a quarter point after three months of falling prices. The bank's next meeting is in "
        "September, when it will publish new forecasts for growth and prices.")
OTHER_OUTLET = ("Portugal's central bank held rates at 4.5 percent on Thursday, surprising "
                "analysts who had bet on a quarter-point cut. Governor Ana Lopes pointed to "
                "easing wages and cheaper energy, and said forecasts due in September would "
                "show whether inflation keeps slowing. Exporters have complained about weak "
                "demand for months.")


def item(title: str, text: str, published: date | None = None) -> ClusterItem:
    return ClusterItem(title=title, text=text, vector=None, published=published)


# ------------------------------------------------------------------------------ metrics

def test_identical_partitions_score_one_whatever_the_label_names() -> None:
    gold = ["a", "a", "b", "b", "c"]
    pred = [7, 7, 3, 3, 9]
    assert adjusted_rand_index(gold, pred) == pytest.approx(1.0)
    assert bcubed_f1(gold, pred) == pytest.approx((1.0, 1.0, 1.0))
    assert purity(gold, pred) == pytest.approx(1.0)


def test_ari_of_a_hand_computed_case() -> None:
    # contingency [[2, 1], [0, 3]]: sum C(n_ij, 2) = 1 + 0 + 0 + 3 = 4; rows C(3,2)*2 = 6;
    # columns C(2,2) + C(4,2) = 7; expected = 6 * 7 / C(6,2) = 2.8; max = 6.5
    gold = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 1, 1, 1, 1]
    assert adjusted_rand_index(gold, pred) == pytest.approx((4 - 2.8) / (6.5 - 2.8))


def test_ari_of_one_cluster_against_singletons_is_zero() -> None:
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == pytest.approx(0.0)
    assert adjusted_rand_index([0, 1, 2], [5, 6, 7]) == pytest.approx(1.0)


def test_bcubed_and_purity_of_a_hand_computed_case() -> None:
    gold = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 1, 1, 1, 1]
    # precision per item: 1, 1, 1/4, 3/4, 3/4, 3/4 -> 4.5 / 6; recall: 2/3, 2/3, 1/3, 1, 1, 1
    precision, recall, f1 = bcubed_f1(gold, pred)
    assert precision == pytest.approx(4.5 / 6)
    assert recall == pytest.approx(14 / 18)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))
    assert purity(gold, pred) == pytest.approx(5 / 6)


def test_metrics_refuse_label_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        adjusted_rand_index([0, 1], [0])


# ------------------------------------------------------------------------------ near-duplicates

def test_wire_copy_and_light_rewrites_are_near_duplicates() -> None:
    sentences = WIRE.split(". ")
    corrected = WIRE + " Correction: an earlier version misspelt the governor's name."
    re_wrapped = "\n\n".join(s + "." for s in sentences).replace("..", ".")
    dropped = ". ".join(sentences[:2] + sentences[3:])
    texts = [WIRE, OTHER_OUTLET, corrected, CHESS, re_wrapped, dropped]
    assert near_duplicate_groups(texts) == [[0, 2, 4, 5]]


def test_two_outlets_on_one_event_are_not_near_duplicates() -> None:
    assert near_duplicate_groups([WIRE, OTHER_OUTLET, QUAKE_A, QUAKE_B, MERGER_A, MERGER_B]) == []


def test_threshold_decides_and_empty_texts_are_never_linked() -> None:
    half = WIRE[: len(WIRE) // 2]
    assert near_duplicate_groups([WIRE, half], threshold=0.3) == [[0, 1]]
    assert near_duplicate_groups([WIRE, half], threshold=0.9) == []
    assert near_duplicate_groups(["", "", "   "]) == []
    assert near_duplicate_groups([]) == []


def test_shingles_ignore_case_punctuation_and_spacing() -> None:
    assert shingles("The bank, said:  rates HOLD at 4.5") == shingles("the bank said rates\nhold "
                                                                     "at 4 5")
    assert shingles("two words") == {"two words"}


# ------------------------------------------------------------------------------ stories

def test_two_stories_and_an_unrelated_article_make_three() -> None:
    items = [item("Quake kills five in Aceh", QUAKE_A),
             item("HP to buy EYP", MERGER_A),
             item("Chess: Carlsen wins in Stavanger", CHESS),
             item("Rescuers dig after Aceh quake", QUAKE_B),
             item("Hewlett-Packard acquires EYP Mission Critical", MERGER_B),
             item("Aceh death toll rises", QUAKE_C),
             item("EYP sold to HP", MERGER_C)]
    assert cluster_stories(items) == [0, 1, 2, 0, 1, 0, 1]


def test_labels_follow_first_appearance_and_small_inputs() -> None:
    assert cluster_stories([]) == []
    assert cluster_stories([item("One", CHESS)]) == [0]
    labels = cluster_stories([item("HP to buy EYP", MERGER_A), item("Quake", QUAKE_A),
                              item("HP buys EYP", MERGER_B)])
    assert labels == [0, 1, 0]


def test_no_chaining_along_a_sequence_of_neighbour_only_similarities() -> None:
    # Text i shares a block of rare words with text i + 1 only (cosine about 0.5 between
    # neighbours, 0 otherwise). Single linkage at the same cut joins all eight into one story;
    # here a story spans at most three consecutive links of the chain.
    blocks = ["zinc quarry Albury", "walrus festival Tromso", "pylon strike Gdansk",
              "saffron harvest Herat", "glacier survey Nuuk", "tram depot Lyon",
              "orchid auction Quito", "ferry collision Busan", "lignite mine Ostrava"]
    texts = [f"{blocks[i]} {blocks[i]} {blocks[i + 1]} {blocks[i + 1]}" for i in range(8)]
    labels = cluster_stories([item("", t) for t in texts])
    assert len(set(labels)) >= 3
    for label in set(labels):
        members = [i for i, x in enumerate(labels) if x == label]
        assert max(members) - min(members) <= 2


def test_dated_articles_weeks_apart_are_different_stories() -> None:
    near = [item("Quake kills five in Aceh", QUAKE_A, date(2013, 7, 2)),
            item("Rescuers dig after Aceh quake", QUAKE_B, date(2013, 7, 3))]
    far = [near[0], dataclasses.replace(near[1], published=date(2013, 9, 1))]
    assert cluster_stories(near) == [0, 0]
    assert cluster_stories(far) == [0, 1]
    gate = date_gate([date(2020, 1, 1), None, date(2020, 3, 1)], 7)
    assert gate.tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]


def test_vectors_are_mixed_in_only_when_asked_and_every_item_has_one() -> None:
    # two unrelated texts whose (made-up) vectors say they are the same: only a vector weight
    # that trusts the vectors joins them
    same = np.ones(4, dtype=np.float32) / 2
    items = [ClusterItem("Chess", CHESS, same, None), ClusterItem("HP", MERGER_A, same, None)]
    assert cluster_stories(items) == [0, 1]
    trusting = dataclasses.replace(DEFAULT, vector_weight=0.9)
    assert cluster_stories(items, trusting) == [0, 0]
    missing = [items[0], dataclasses.replace(items[1], vector=None)]
    assert cluster_stories(missing, trusting) == [0, 1]
