"""Events: gatherings, attendance, workshop input, communications and the targeted feed."""
