// Entry point: pick the language, then start the app.

import './style.css';
import { initialLang, setLang } from './i18n';
import { startApp } from './app';

setLang(initialLang());
const root = document.getElementById('app');
if (root) startApp(root);
