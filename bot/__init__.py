"""LearnPulse core: platform-neutral events, ports, dispatch and the composition root."""
