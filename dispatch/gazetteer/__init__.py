"""The gazetteer: named places of the city (roads, intersections, bridges, piers, districts, sites, river
segments) and the bureau's own imported places, searched in Chinese, pinyin or English. Owns place.* events."""
