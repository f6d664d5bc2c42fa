"""Network layer: the embedded Toxiproxy-compatible server and the control API scenarios use."""
