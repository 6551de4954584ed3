"""Images through Pillow: verify, store, thumbnails, human sizes."""


def register(app):
    """Serve the media root at MEDIA_URL in development."""
