"""The public read side: the home page, the list of appeals with its filters and search, one
appeal's page, the forms readers send from it, and what machines read (sitemap, robots.txt,
the Atom feed). It reads campaigns' stored listing and public tables, never a case."""
