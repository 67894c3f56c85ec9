"""HTTP routes of the plane, thin: parse the request, call the store, shape the reply."""
