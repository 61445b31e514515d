"""`scrapy report`: the visual report, an offline static site (index.html, sites/<code>.html, assets/).

data.py gathers the page data from the database, charts.py draws the SVG charts, render.py writes the pages.
"""
