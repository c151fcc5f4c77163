"""The service layer: views call one function here; crypto and SQL stay out of views."""
