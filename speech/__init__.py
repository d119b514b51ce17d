"""Speech recognition for live captions: the only package that imports faster-whisper and
webrtcvad. ``SpeechService`` takes 20 ms frames per speaker and hands back ``Caption``s."""

from .model import SpeechUnavailable, model_folder
from .service import Caption, SpeechConfig, SpeechService

__all__ = ["Caption", "SpeechConfig", "SpeechService", "SpeechUnavailable", "model_folder"]
