"""chainx's domain: the model, the stores, the NetworkX projections and the analyses."""
