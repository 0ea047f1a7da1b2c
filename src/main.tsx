import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';
import { registerOffline } from './workers/registerOffline';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// After the first paint: every file of the build is stored, so the studio works offline from then on.
window.addEventListener('load', () => void registerOffline());
