"""Simulation past one machine: the local engine's answers, computed block by block on a Ray cluster.

:mod:`.inputs` reads traffic files in blocks, :mod:`.scores` keeps model scores as Parquet
partitions a cluster shares, :mod:`.partials` merges the blocks' reports, and :mod:`.ray_engine`
(the only module that imports Ray, an optional extra) runs the passes. Import
``policies.simulation.distributed.ray_engine`` for :func:`simulate_on_ray`.
"""
