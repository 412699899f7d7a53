"""A snapshot and its served forms (JSON, YAML, gzip), rendered from chunks kept between them."""
