"""Analyses of a map: one module per question, each taking an Ecosystem, returning plain data."""

from ecograph.analysis.advise import Advice, advise
from ecograph.analysis.bottlenecks import Bottlenecks, bottlenecks, max_flow
from ecograph.analysis.centrality import METRICS, Centrality, centrality
from ecograph.analysis.cheapest import Cheapest, cheapest
from ecograph.analysis.dependency import Dependency, dependency
from ecograph.analysis.diagnose import STATUSES, Diagnoses, Diagnosis, diagnose
from ecograph.analysis.fit import FitReport, fit
from ecograph.analysis.flow import FlowAnalysis, flow
from ecograph.analysis.funnel import Funnel, funnel
from ecograph.analysis.longtail import LongTail, longtail
from ecograph.analysis.reach import Reach, reach
from ecograph.analysis.value import Value, value

__all__ = [
    "METRICS",
    "STATUSES",
    "Advice",
    "Bottlenecks",
    "Centrality",
    "Cheapest",
    "Dependency",
    "Diagnoses",
    "Diagnosis",
    "FitReport",
    "FlowAnalysis",
    "Funnel",
    "LongTail",
    "Reach",
    "Value",
    "advise",
    "bottlenecks",
    "centrality",
    "cheapest",
    "dependency",
    "diagnose",
    "fit",
    "flow",
    "funnel",
    "longtail",
    "max_flow",
    "reach",
    "value",
]
