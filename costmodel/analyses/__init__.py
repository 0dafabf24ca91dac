"""Analyses over a network's numbers and closed forms: metrics (memory access, receptive field,
peak memory, storage, roofline, exits), explore and fast (compare, sweep, solve on compiled closed
forms), dataflow (EffNet's Table 1), ratio (Hybrid MobileNet's Eqs. 1-4), conventions (other
counters' profiles) and reproduction (the papers' numbers against ours)."""
