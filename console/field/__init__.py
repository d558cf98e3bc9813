"""The field client: a small window for a boat crew or an officer, over dispatch.hub.client."""
