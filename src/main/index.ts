/**
 * Electron main: one hardened window, native menus, the contract served over IPC (`api:call`), job and host
 * events pushed with webContents.send. The engine itself runs in a Node child process (engine-client.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, type MenuItemConstructorOptions, type WebContents } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateRequest, type HostEvent, type Method } from '../shared/api';
import { contentSecurityPolicy } from '../server/csp';
import { oneLine } from '../engine/core/errors';
import { startEngine, type Engine } from './engine-client';

const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/
const appRoot = app.getAppPath();
const rendererUrl = process.env.ELECTRON_RENDERER_URL; // electron-vite dev server
const rendererFile = join(here, '..', 'renderer', 'index.html');
const node = process.env.LAYERLENS_NODE || 'node';
const csp = contentSecurityPolicy({ connect: rendererUrl ? [new URL(rendererUrl).origin.replace(/^http/, 'ws')] : [], dev: !!rendererUrl });

let win: BrowserWindow | null = null;
let engine: Engine | null = null;
let engineStarting: Promise<Engine> | null = null;
let workspaceDir = resolve(process.env.LAYERLENS_WORKSPACE ?? join(homedir(), '.layerlens'));
const pendingModels: string[] = [];

/** A model path from argv, open-file or a drop: model.json, .onnx, or a folder holding model.json. */
function modelPath(p: string | undefined): string | null {
  if (!p || p.startsWith('-')) return null;
  const abs = resolve(p);
  try {
    const st = statSync(abs);
    if (st.isDirectory()) return existsSync(join(abs, 'model.json')) ? abs : null;
    return /\.(json|onnx)$/i.test(abs) ? abs : null;
  } catch {
    return null;
  }
}

function sendHost(e: HostEvent) {
  if (win && !win.isDestroyed()) win.webContents.send('api:host', e);
}

function openModel(path: string) {
  if (!win) return void pendingModels.push(path);
  sendHost({ type: 'open-model', model: path });
  win.show();
}

function getEngine(): Promise<Engine> {
  if (engine) return Promise.resolve(engine);
  engineStarting ??= startEngine({
    appRoot,
    workspaceDir,
    node,
    onExit: (reason) => {
      engine = null;
      engineStarting = null;
      if (win && !win.isDestroyed()) dialog.showErrorBox('LayerLens engine stopped', reason);
    },
  }).then(
    (e) => {
      engine = e;
      e.onJob((event) => {
        if (win && !win.isDestroyed()) win.webContents.send('api:job', event);
      });
      return e;
    },
    (err: Error) => {
      engineStarting = null;
      throw err;
    },
  );
  return engineStarting;
}

async function switchWorkspace(dir: string) {
  const old = engine;
  engine = null;
  engineStarting = null;
  await old?.close();
  workspaceDir = dir;
  await getEngine();
  sendHost({ type: 'workspace-changed', workspaceDir: dir });
}

/** Only our own page may call the API. */
function trustedSender(url: string | undefined): boolean {
  if (!url) return false;
  if (rendererUrl) return url.startsWith(rendererUrl);
  return url.startsWith('file://') && fileURLToPath(url.split('#')[0].split('?')[0]) === rendererFile;
}

ipcMain.handle('api:call', async (event, method: unknown, req: unknown) => {
  if (!trustedSender(event.senderFrame?.url)) return { ok: false, error: 'forbidden: untrusted sender' };
  try {
    const v = validateRequest<Method>(method, req);
    const e = await getEngine();
    return { ok: true, value: await e.call(v.method, v.req as never) };
  } catch (e) {
    return { ok: false, error: oneLine(e) };
  }
});

function buildMenu() {
  const isMac = process.platform === 'darwin';
  const file: MenuItemConstructorOptions[] = [
    {
      label: 'Open Model…',
      accelerator: 'CmdOrCtrl+O',
      click: async () => {
        if (!win) return;
        const r = await dialog.showOpenDialog(win, {
          title: 'Open Model',
          filters: [
            { name: 'Models', extensions: ['json', 'onnx'] },
            { name: 'All files', extensions: ['*'] },
          ],
          properties: ['openFile'],
        });
        if (!r.canceled && r.filePaths[0]) openModel(r.filePaths[0]);
      },
    },
    {
      label: 'Open Workspace…',
      accelerator: 'CmdOrCtrl+Shift+O',
      click: async () => {
        if (!win) return;
        const r = await dialog.showOpenDialog(win, { title: 'Open Workspace', defaultPath: workspaceDir, properties: ['openDirectory', 'createDirectory'] });
        if (!r.canceled && r.filePaths[0]) await switchWorkspace(r.filePaths[0]).catch((e: unknown) => dialog.showErrorBox('Open Workspace', oneLine(e)));
      },
    },
    { type: 'separator' },
    // enabled by the export issue
    { label: 'Export…', accelerator: 'CmdOrCtrl+E', enabled: false },
    { type: 'separator' },
    isMac ? { role: 'close' } : { label: 'Quit', role: 'quit', accelerator: 'CmdOrCtrl+Q' },
  ];
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as const]),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    { label: 'File', submenu: file },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function harden(contents: WebContents) {
  // a dropped file makes Chromium navigate to it: take the path, stay on the studio page
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    if (url.startsWith('file://')) {
      const p = modelPath(fileURLToPath(url));
      if (p) openModel(p);
    }
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function createWindow() {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'LayerLens',
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => (win = null));
  win.webContents.on('did-finish-load', () => {
    for (const p of pendingModels.splice(0)) sendHost({ type: 'open-model', model: p });
  });
  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(rendererFile);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setName('LayerLens');
  app.on('second-instance', (_e, argv) => {
    const p = argv.map(modelPath).find(Boolean);
    if (p) openModel(p);
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  // macOS: double-click / drag onto the dock icon, possibly before ready
  app.on('open-file', (event, path) => {
    event.preventDefault();
    const p = modelPath(path);
    if (p) openModel(p);
  });
  app.on('web-contents-created', (_e, contents) => harden(contents));

  void app.whenReady().then(() => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    session.defaultSession.setPermissionCheckHandler(() => false);

    const fromArgv = process.argv.slice(app.isPackaged ? 1 : 2).map(modelPath).find(Boolean);
    if (fromArgv) pendingModels.push(fromArgv);
    buildMenu();
    createWindow();
    // start the engine while the page loads
    getEngine().catch((e: unknown) => dialog.showErrorBox('LayerLens engine', `${oneLine(e)}\nLayerLens runs its engine with Node.js ≥ 20 (set LAYERLENS_NODE to its path).`));
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !engine) return;
    event.preventDefault();
    quitting = true;
    void engine.close().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
