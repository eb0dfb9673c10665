"""The Chroma layer and the embedders."""
