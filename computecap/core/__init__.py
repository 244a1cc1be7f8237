"""What every engine shares: holding lines and their sampler, clusters, assumption records
and the seeded chunked Monte Carlo loop. Engines import from here and from below, never
from each other."""

from computecap.core.clusters import Cluster, company_cluster, fixed_cluster, whole_count
from computecap.core.holdings import DEFAULT_INCLUDE, HoldingLines, Line, parse_include
from computecap.core.records import Assumption
from computecap.core.sampling import DEFAULT_SAMPLES, MAX_SAMPLES, check_sampling, monte_carlo

__all__ = ["DEFAULT_INCLUDE", "DEFAULT_SAMPLES", "MAX_SAMPLES", "Assumption", "Cluster", "HoldingLines", "Line",
           "check_sampling", "company_cluster", "fixed_cluster", "monte_carlo", "parse_include", "whole_count"]
