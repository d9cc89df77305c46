"""The GraphQL schema over projections and use cases (the API issue fills this in)."""
