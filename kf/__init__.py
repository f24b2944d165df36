"""kompetanseforum: the platform kit shared by every service."""
