"""Front-door translators: Anthropic's Messages API to and from the canonical chat format."""
