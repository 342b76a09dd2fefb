"""The loyalty context of the API: programmes, members, purchases, points."""
