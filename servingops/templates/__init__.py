"""Templates of ``servingops init`` (package data under ``project/``; see servingops.init)."""
