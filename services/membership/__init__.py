"""Membership: organisations, people, groups, memberships and mandates."""
