"""Appeals: budgets, safe publication, and the public site where donors browse them."""
