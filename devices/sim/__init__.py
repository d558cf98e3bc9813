"""Device simulators: they emit the same bytes real receivers send."""
