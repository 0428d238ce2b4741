"""The public pages, by subject: home and language choice, appeals (list, page, feeds,
sitemap), and the forms readers send from an appeal page."""
