"""The donations domain's pages: staff pages of disbursements, and the public ledger of each
appeal (a blueprint of its own, on the public site's rules)."""
