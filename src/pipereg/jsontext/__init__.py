"""Strict JSON text: parsing with positions, compact re-encoding, and MongoDB Extended JSON."""
