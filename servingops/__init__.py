"""servingops: LLM serving endpoints as code."""

__version__ = "0.1.0"
