import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { exposePerf } from './lib/perf.js';
import { createTransport } from './lib/transport.js';

exposePerf();
const target = document.getElementById('app');
if (!target) throw new Error('Iris: #app is missing from index.html');
mount(App, { target, props: { transport: createTransport() } });
