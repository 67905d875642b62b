/**
 * The part of Electron's API that main and preload use. electron is an optional dependency whose install
 * fails where its binary cannot be downloaded (then npm drops the package and its bundled types), so the
 * type-check must not depend on it. Where electron is installed these declarations take precedence; they
 * follow Electron 39's signatures.
 */
declare module 'electron' {
  type Listener = (...args: any[]) => void;

  interface Event {
    preventDefault(): void;
  }

  interface WebFrameMain {
    url: string;
  }
  interface IpcMainInvokeEvent extends Event {
    sender: WebContents;
    senderFrame: WebFrameMain | null;
  }
  interface IpcRendererEvent extends Event {
    sender: unknown;
  }

  interface WebContents {
    id: number;
    send(channel: string, ...args: unknown[]): void;
    on(event: 'will-navigate' | 'will-redirect', listener: (event: Event, url: string) => void): this;
    on(event: 'will-attach-webview', listener: (event: Event) => void): this;
    on(event: 'did-finish-load', listener: () => void): this;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
    isDestroyed(): boolean;
    getURL(): string;
  }

  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    webviewTag?: boolean;
    spellcheck?: boolean;
    devTools?: boolean;
  }
  interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    show?: boolean;
    title?: string;
    backgroundColor?: string;
    webPreferences?: WebPreferences;
  }
  class BrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions);
    static getAllWindows(): BrowserWindow[];
    webContents: WebContents;
    loadFile(path: string): Promise<void>;
    loadURL(url: string): Promise<void>;
    show(): void;
    focus(): void;
    restore(): void;
    isMinimized(): boolean;
    isDestroyed(): boolean;
    setTitle(title: string): void;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
  }

  type MenuRole =
    | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'pasteAndMatchStyle' | 'delete' | 'selectAll' | 'reload' | 'forceReload'
    | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'window' | 'minimize' | 'close' | 'help'
    | 'about' | 'quit' | 'appMenu' | 'fileMenu' | 'editMenu' | 'viewMenu' | 'windowMenu';
  interface MenuItemConstructorOptions {
    label?: string;
    role?: MenuRole;
    type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
    accelerator?: string;
    enabled?: boolean;
    toolTip?: string;
    click?: () => void;
    submenu?: MenuItemConstructorOptions[];
  }
  class Menu {
    static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
    static setApplicationMenu(menu: Menu | null): void;
  }

  interface OpenDialogOptions {
    title?: string;
    defaultPath?: string;
    buttonLabel?: string;
    filters?: { name: string; extensions: string[] }[];
    properties?: ('openFile' | 'openDirectory' | 'createDirectory')[];
  }
  const dialog: {
    showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
    showErrorBox(title: string, content: string): void;
  };

  interface OnHeadersReceivedDetails {
    url: string;
    resourceType: string;
    responseHeaders?: Record<string, string[]>;
  }
  interface Session {
    webRequest: {
      onHeadersReceived(
        listener: (details: OnHeadersReceivedDetails, callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void) => void,
      ): void;
    };
    setPermissionRequestHandler(handler: ((wc: WebContents, permission: string, callback: (granted: boolean) => void) => void) | null): void;
    setPermissionCheckHandler(handler: ((wc: WebContents | null, permission: string) => boolean) | null): void;
  }
  const session: { defaultSession: Session };

  const app: {
    isPackaged: boolean;
    whenReady(): Promise<void>;
    getAppPath(): string;
    getPath(name: 'home' | 'userData' | 'documents'): string;
    quit(): void;
    requestSingleInstanceLock(): boolean;
    setName(name: string): void;
    on(event: 'open-file', listener: (event: Event, path: string) => void): void;
    on(event: 'second-instance', listener: (event: Event, argv: string[]) => void): void;
    on(event: 'window-all-closed' | 'activate', listener: () => void): void;
    on(event: 'before-quit', listener: (event: Event) => void): void;
    on(event: 'web-contents-created', listener: (event: Event, contents: WebContents) => void): void;
  };

  const ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<unknown> | unknown): void;
  };
  const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<any>;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): void;
    removeListener(channel: string, listener: Listener): void;
  };
  const contextBridge: {
    exposeInMainWorld(apiKey: string, api: unknown): void;
  };
}
