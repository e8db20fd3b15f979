"""notes-kb: a terminal knowledge base for folders of markdown notes with frontmatter."""

__version__ = "0.1.0"
