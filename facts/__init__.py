"""Facts about the software we deploy (ports, images, in-container paths, names, labels, sizing).

Layer 1: imports nothing of ours and nothing of Pulumi; every other layer reads its facts here.
"""
