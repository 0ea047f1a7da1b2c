export function App() {
  return (
    <main className="app">
      <h1>Mix-QSAM Studio</h1>
    </main>
  );
}
