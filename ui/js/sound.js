// sound.js — the counter's beeps, made with WebAudio (no sound files): a bright rising pair
// for "accepted", a low buzz for "refused", two mid beeps for "warning".

// Each tone: frequency (Hz), start and length (s), oscillator shape.
const PATTERNS = {
  accepted: [
    { hz: 880, at: 0, length: 0.09, shape: "sine" },
    { hz: 1320, at: 0.1, length: 0.16, shape: "sine" },
  ],
  refused: [{ hz: 140, at: 0, length: 0.5, shape: "square" }],
  warning: [
    { hz: 660, at: 0, length: 0.12, shape: "triangle" },
    { hz: 660, at: 0.2, length: 0.12, shape: "triangle" },
  ],
};
const VOLUME = 0.25;
const FADE = 0.01;

let context = null;

function audio() {
  if (!context) {
    const Context = window.AudioContext ?? window.webkitAudioContext;
    if (!Context) return null;
    try {
      context = new Context();
    } catch (error) {
      console.warn("guichet: no audio output", error);
      return null;
    }
  }
  if (context.state === "suspended") context.resume().catch(() => undefined);
  return context;
}

/**
 * Creates the audio output ahead of the first verdict: WebKit starts its audio pipeline on
 * the first AudioContext, which otherwise delays the first card by tens of milliseconds.
 */
export function warmUp() {
  audio();
}

/** Lets a context created before any key press start playing (browsers wait for a gesture). */
export function resumeOnGesture() {
  const resume = () => {
    if (context?.state === "suspended") context.resume().catch(() => undefined);
  };
  document.addEventListener("keydown", resume, true);
  document.addEventListener("pointerdown", resume, true);
}

/** Plays the pattern `kind` ("accepted", "refused", "warning"; anything else is silent). */
export function play(kind, enabled) {
  const pattern = PATTERNS[kind];
  if (!enabled || !pattern) return;
  const ctx = audio();
  if (!ctx) return;
  const start = ctx.currentTime + 0.01;
  for (const tone of pattern) {
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    const from = start + tone.at;
    const to = from + tone.length;
    oscillator.type = tone.shape;
    oscillator.frequency.value = tone.hz;
    gain.gain.setValueAtTime(0, from);
    gain.gain.linearRampToValueAtTime(VOLUME, from + FADE);
    gain.gain.setValueAtTime(VOLUME, to - FADE);
    gain.gain.linearRampToValueAtTime(0, to);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(from);
    oscillator.stop(to + FADE);
  }
}
