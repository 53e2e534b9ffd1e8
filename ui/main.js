// Guichet — placeholder counter screen. Tells the shell the page is ready.

async function announceReady() {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core) {
    console.warn("guichet: Tauri API absente (page ouverte hors de l'application ?)");
    return;
  }
  try {
    await tauri.core.invoke("ui_ready");
  } catch (err) {
    console.error("guichet: ui_ready a échoué", err);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", announceReady, { once: true });
} else {
  announceReady();
}
