"""Prompt templates as package data (`*.md`), loaded by qa.prompts."""
