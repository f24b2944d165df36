"""The platform's services; each owns its data and its stream and imports only the kit."""
