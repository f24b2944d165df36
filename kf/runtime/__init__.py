"""The runtime kit: settings, database, outbox, broker, consumers, HTTP app factory, auth."""
