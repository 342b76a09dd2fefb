"""The alliance in GraphQL: partners, offers, members' benefits, the partner API."""
