"""The local serving control plane: a faithful stand-in for the Model Serving REST API."""
