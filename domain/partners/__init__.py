"""The alliance: partners, offers, grants, redemptions, coalition earn, settlement."""
