// The default theme, with the few style rules of this site (style.css).
import DefaultTheme from 'vitepress/theme';
import './style.css';

export default DefaultTheme;
