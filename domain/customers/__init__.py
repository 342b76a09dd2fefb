"""The single customer record: profile, contact points, household, external references."""
