"""The Routing Studio Panel app (serve with `panel serve studio`)."""
