/** The charts' one look (dark theme): colours, axes and tooltip that every option builder spreads in. */
export const palette = ['#4ea1ff', '#f0883e', '#3fb950', '#d2a8ff', '#e3b341', '#ff7b72'];
const axisColor = '#3a4150';
export const textColor = '#9aa4b2';

export const baseAxis = {
  axisLine: { lineStyle: { color: axisColor } },
  axisTick: { lineStyle: { color: axisColor } },
  axisLabel: { color: textColor, fontSize: 10 },
  splitLine: { lineStyle: { color: '#222833' } },
  nameTextStyle: { color: textColor, fontSize: 10 },
};

export const tooltip = {
  backgroundColor: '#1b2029',
  borderColor: '#30363f',
  textStyle: { color: '#d6dae1', fontSize: 11 },
};

/** The legend top right; a chart sets its own item width. */
export const legend = { top: 0, right: 8, textStyle: { color: textColor, fontSize: 11 }, itemHeight: 8 };
