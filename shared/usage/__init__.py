"""Consumption over any period: local-calendar buckets, tariffs and cost, exports (issue 13).

Pure core: `periods` (buckets), `pricing` (tariff rules, exact integer money), `aggregate`
(sums per bucket). Edges: `store` (database reads), `tariffs` (admin service), `exports`
(CSV and Green Button ESPI Atom XML).
"""
