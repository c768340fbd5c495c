// Entry point: pick the language, then start the app.

// Hindi renders the same on every machine, even one without a Devanagari
// font: the font ships with the app (woff2, loaded only for the scripts a
// page uses, thanks to unicode-range).
import '@fontsource/noto-sans-devanagari/400.css';
import '@fontsource/noto-sans-devanagari/700.css';
import './style.css';
import { initialLang, setLang } from './i18n';
import { startApp } from './app';

setLang(initialLang());
const root = document.getElementById('app');
if (root) startApp(root);
