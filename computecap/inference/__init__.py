"""Serving engine: tokens per second, latency, cost and energy of serving a model on chips.

``physics`` counts FLOP, bytes and communication per step; ``deployment`` sets up a replica and
its step times; ``params`` reads the sourced defaults and fitted efficiencies; ``serving`` runs
the Monte Carlo; ``points`` holds the measured points the fit and validation use.
"""

from computecap.inference.deployment import Deployment, Workload, best_deployment, deploy
from computecap.inference.physics import Layout, attention_flop_per_token, experts_touched, kv_values_per_token
from computecap.inference.serving import SERIES, FleetServingResult, ServingResult, replica_cluster, serve, serve_fleet

__all__ = ["SERIES", "Deployment", "FleetServingResult", "Layout", "ServingResult", "Workload",
           "attention_flop_per_token", "best_deployment", "deploy", "experts_touched", "kv_values_per_token",
           "replica_cluster", "serve", "serve_fleet"]
