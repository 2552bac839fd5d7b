"""Benchmarks of NeverMissCall (SPEC section 7): `python -m bench [--quick] [--out FILE]`.

Benchmarks measure; tests assert behaviour. Each figure has its own module (first_sms, seeding,
scheduling, load, suite, stacks); `__main__` runs them in turn and writes one JSON document.
"""
