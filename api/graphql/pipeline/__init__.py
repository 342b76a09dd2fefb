"""The sales pipeline in GraphQL: pipelines, leads, deals, the board and the analytics."""
